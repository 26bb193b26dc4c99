// Schedule screens: progressive enhancement of server-rendered pages (decision 0002). Without this script every screen still
// works through links and forms: the calendar's "Move" link opens a reschedule form, the flow board's buttons post back.
// All text from the server's JSON is written with textContent, never parsed as HTML.

const DRAG_THRESHOLD_PX = 5;
const TICK_MS = 30_000;

export function attachSchedule(root) {
    root.querySelectorAll('form[data-schedule-filters]').forEach(attachFilters);
    const grid = root.getElementById('schedule-grid');
    if (grid) attachDrag(grid);
    root.querySelectorAll('[data-print]').forEach(b => b.addEventListener('click', () => window.print()));
    const board = root.querySelector('[data-flow-board]');
    if (board) attachFlowBoard(board);
    root.querySelectorAll('[data-eligibility]').forEach(attachEligibility);
}

// Changing a select shows that view at once (the Show button remains for keyboard users who prefer it).
function attachFilters(form) {
    form.querySelectorAll('select').forEach(s => s.addEventListener('change', () => {
        // A provider and a room are alternatives: choosing one clears the other.
        if (s.name === 'providerId' && s.value) form.elements.resourceId.value = '';
        if (s.name === 'resourceId' && s.value) form.elements.providerId.value = '';
        form.requestSubmit();
    }));
}

/** The server's words from an RFC 9457 problem response. */
async function problemText(response) {
    try {
        const p = await response.json();
        return p.detail || p.title || `The request failed (${response.status}).`;
    } catch {
        return `The request failed (${response.status}).`;
    }
}

function showAlert(text) {
    const box = document.getElementById('schedule-alert');
    box.textContent = text;
    box.hidden = false;
}

// Drag an appointment block onto another time (and, in the location view, another provider's column). The drop calls
// the same reschedule endpoint as the API, with the version the page showed, so a stale view gets 412, not a silent move.
function attachDrag(grid) {
    if (grid.dataset.canMove !== 'true') return;
    let drag = null;

    function cellAt(x, y) {
        return document.elementsFromPoint(x, y).find(el => el.classList.contains('sched-cell') && grid.contains(el)) ?? null;
    }

    function mark(cell) {
        if (drag.cell === cell) return;
        drag.cell?.classList.remove('sched-drop');
        drag.cell = cell;
        cell?.classList.add('sched-drop');
    }

    function end() {
        if (!drag) return;
        drag.cell?.classList.remove('sched-drop');
        drag.block.classList.remove('sched-dragging');
        drag = null;
    }

    function snapBack(block) {
        block.style.transform = '';
    }

    grid.addEventListener('pointerdown', e => {
        const block = e.target instanceof Element ? e.target.closest('.sched-appt[data-movable=true]') : null;
        if (!block || e.button !== 0 || e.target.closest('.sched-appt-move')) return;
        const rect = block.getBoundingClientRect();
        drag = { block, x: e.clientX, y: e.clientY, offsetY: e.clientY - rect.top, moved: false, cell: null, pointer: e.pointerId };
        block.setPointerCapture(e.pointerId);
    });

    grid.addEventListener('pointermove', e => {
        if (!drag || e.pointerId !== drag.pointer) return;
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < DRAG_THRESHOLD_PX) return;
        if (!drag.moved) { drag.moved = true; drag.block.classList.add('sched-dragging'); }
        drag.block.style.transform = `translate(${dx}px, ${dy}px)`;
        // The block's top edge says where the appointment would start.
        mark(cellAt(e.clientX, e.clientY - drag.offsetY + 2));
    });

    grid.addEventListener('pointerup', async e => {
        if (!drag || e.pointerId !== drag.pointer) return;
        const { block, moved, cell } = drag;
        end();
        if (!moved) return; // a click: the link inside the block opens the appointment
        // The click that follows a drag must not open the appointment.
        block.addEventListener('click', ev => ev.preventDefault(), { capture: true, once: true });
        if (!cell) { snapBack(block); return; }
        const column = cell.closest('.sched-col');
        const start = cell.dataset.start;
        const providerId = column.dataset.providerId || null;
        if (start === block.dataset.start && (!providerId || providerId === block.closest('.sched-col').dataset.providerId)) { snapBack(block); return; }
        await move(block, start, providerId);
    });

    grid.addEventListener('pointercancel', () => { if (drag) { snapBack(drag.block); end(); } });
    document.addEventListener('keydown', e => { if (e.key === 'Escape' && drag) { snapBack(drag.block); end(); } });

    async function move(block, start, providerId) {
        const status = document.getElementById('schedule-status');
        const body = { start, expectedVersion: Number(block.dataset.version) };
        if (providerId) body.providerId = providerId;
        block.setAttribute('aria-busy', 'true');
        try {
            const response = await fetch(`/api/scheduling/appointments/${encodeURIComponent(block.dataset.appointmentId)}/reschedule`, {
                method: 'POST',
                credentials: 'same-origin',
                headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
                body: JSON.stringify(body),
            });
            if (response.status === 401) { window.location.assign('/login?returnUrl=' + encodeURIComponent(location.pathname + location.search)); return; }
            if (!response.ok) {
                snapBack(block);
                showAlert(await problemText(response));
                return;
            }
            const moved = await response.json();
            if (status) status.textContent = `Moved to ${moved.start.slice(11, 16)}.`;
            // The server renders the new day (colours, open hours, versions): reload rather than patch the grid by hand.
            window.location.reload();
        } catch {
            snapBack(block);
            showAlert('The schedule could not be reached. Nothing was moved; check the connection and try again.');
        } finally {
            block.removeAttribute('aria-busy');
        }
    }
}

// The flow board: minutes in status and waits tick every 30 s; an EventSource on the board's stream re-renders the board
// (the server's HTML for the same URL) whenever any appointment at the location changes, for everyone watching.
function attachFlowBoard(board) {
    let loaded = Date.now(); // the server's minutes are as of this moment
    const live = document.getElementById('flow-live');

    function tick() {
        const elapsed = Math.floor((Date.now() - loaded) / 60_000);
        board.querySelectorAll('[data-minutes]').forEach(el => {
            el.textContent = `${Number(el.dataset.minutes) + elapsed} min`;
        });
    }
    let ticker = setInterval(tick, TICK_MS);

    let refreshing = null;
    async function refresh(changedId) {
        if (refreshing) { refreshing.again = true; return; }
        refreshing = { again: false };
        try {
            const response = await fetch(location.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
            if (!response.ok) return;
            const next = new DOMParser().parseFromString(await response.text(), 'text/html').querySelector('[data-flow-board]');
            if (!next) return;
            const focusedId = document.activeElement?.id;
            board.replaceChildren(...next.childNodes);
            if (focusedId) document.getElementById(focusedId)?.focus();
            clearInterval(ticker);
            loaded = Date.now();
            ticker = setInterval(tick, TICK_MS);
            const row = changedId ? board.querySelector(`[data-appointment-row="${CSS.escape(changedId)}"]`) : null;
            if (row) {
                row.classList.add('flow-row-changed');
                if (live) live.textContent = `${row.dataset.patient}: ${row.dataset.statusLabel}`;
            }
        } finally {
            const again = refreshing.again;
            refreshing = null;
            if (again) refresh(null);
        }
    }

    const url = `/api/scheduling/flow-board/stream?locationId=${encodeURIComponent(board.dataset.locationId)}`;
    const source = new EventSource(url, { withCredentials: true });
    source.addEventListener('change', e => {
        let id = null;
        try { id = JSON.parse(e.data).appointmentId; } catch { /* a change without a body still refreshes */ }
        refresh(id);
    });
    source.addEventListener('open', () => board.setAttribute('data-live', 'true'));
    source.addEventListener('error', () => board.setAttribute('data-live', 'false')); // EventSource reconnects by itself
    window.addEventListener('pagehide', () => source.close());
}

// "Check eligibility" on the check-in form: asks the clearinghouse through the API and shows the 271's answer in place.
function attachEligibility(button) {
    const output = document.getElementById(button.dataset.eligibility);
    button.addEventListener('click', async () => {
        button.disabled = true;
        output.textContent = 'Checking eligibility…';
        try {
            const response = await fetch(`/api/scheduling/appointments/${encodeURIComponent(button.dataset.appointmentId)}/eligibility`, {
                method: 'POST', credentials: 'same-origin', headers: { Accept: 'application/json' },
            });
            if (!response.ok) { output.textContent = await problemText(response); return; }
            renderEligibility(output, await response.json());
        } catch {
            output.textContent = 'The eligibility check could not be reached. Try again.';
        } finally {
            button.disabled = false;
        }
    });
}

function money(v) {
    return v == null ? '—' : new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(v);
}

function renderEligibility(output, r) {
    const dl = document.createElement('dl');
    dl.className = 'row mb-0';
    const add = (term, value) => {
        const dt = document.createElement('dt'); dt.className = 'col-sm-5'; dt.textContent = term;
        const dd = document.createElement('dd'); dd.className = 'col-sm-7'; dd.textContent = value;
        dl.append(dt, dd);
    };
    add('Coverage', r.status);
    if (r.payerName) add('Payer', r.payerName);
    if (r.planName) add('Plan', r.planName);
    if (r.planBegin || r.planEnd) add('Plan dates', `${r.planBegin ?? '…'} – ${r.planEnd ?? '…'}`);
    add('Copay', money(r.copay));
    if (r.coinsurancePercent != null) add('Coinsurance', `${r.coinsurancePercent}%`);
    if (r.deductible != null) add('Deductible', `${money(r.deductible)} (${money(r.deductibleRemaining)} remaining)`);
    (r.messages ?? []).forEach(m => add('Message', m));
    output.replaceChildren(dl);
    output.className = `alert ${r.status === 'Active' ? 'alert-success' : r.status === 'Inactive' ? 'alert-warning' : 'alert-danger'}`;
    const copay = document.getElementById('checkin-copay');
    if (copay && !copay.value && r.copay != null) copay.value = r.copay;
}
