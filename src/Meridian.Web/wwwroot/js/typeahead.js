// Patient typeahead: the ARIA 1.2 combobox pattern with a listbox popup
// (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/examples/combobox-autocomplete-list/).
// Focus stays in the input; aria-activedescendant marks the highlighted option. Results are written with
// textContent only, so names containing markup are shown as text and never parsed as HTML.

const MIN_CHARS = 2;
const DEBOUNCE_MS = 200;

export function attachTypeahead(input) {
    const listbox = document.getElementById(input.getAttribute('aria-controls'));
    const status = document.getElementById(input.id + '-status');
    const endpoint = input.dataset.typeahead;
    let items = [];
    let active = -1;
    let timer = 0;
    let controller = null;

    function close() {
        listbox.hidden = true;
        input.setAttribute('aria-expanded', 'false');
        input.removeAttribute('aria-activedescendant');
        active = -1;
    }

    function highlight(index) {
        const options = listbox.querySelectorAll('[role=option]');
        options.forEach((o, i) => {
            const on = i === index;
            o.setAttribute('aria-selected', on ? 'true' : 'false');
            o.classList.toggle('active', on);
        });
        active = index;
        if (index >= 0 && options[index]) {
            input.setAttribute('aria-activedescendant', options[index].id);
            options[index].scrollIntoView({ block: 'nearest' });
        } else {
            input.removeAttribute('aria-activedescendant');
        }
    }

    function formatDate(iso) {
        const [y, m, d] = iso.split('-');
        return `${m}/${d}/${y}`;
    }

    function render(result) {
        items = result.items;
        listbox.replaceChildren();
        items.forEach((item, i) => {
            const li = document.createElement('li');
            li.id = `${listbox.id}-opt-${i}`;
            li.setAttribute('role', 'option');
            li.setAttribute('aria-selected', 'false');
            li.className = 'list-group-item list-group-item-action typeahead-option';
            const name = document.createElement('span');
            name.className = 'fw-semibold';
            name.textContent = item.name + (item.preferredGiven ? ` “${item.preferredGiven}”` : '');
            const meta = document.createElement('span');
            meta.className = 'text-muted small ms-2';
            meta.textContent = `${formatDate(item.birthDate)} · ${item.gender} · ${item.mrn}` + (item.deceasedDate ? ' · deceased' : '');
            li.append(name, meta);
            // mousedown, not click: it fires before the input loses focus and closes the list.
            li.addEventListener('mousedown', e => { e.preventDefault(); open(i); });
            listbox.append(li);
        });
        if (items.length === 0) {
            // ARIA 1.2: a listbox owns only options; this one is disabled, so it is announced but never highlighted.
            const li = document.createElement('li');
            li.setAttribute('role', 'option');
            li.setAttribute('aria-disabled', 'true');
            li.className = 'list-group-item text-muted';
            li.textContent = 'No matching patients. Press Enter to search.';
            listbox.append(li);
        }
        listbox.hidden = false;
        input.setAttribute('aria-expanded', 'true');
        active = -1;
        if (status) status.textContent = items.length === 1 ? '1 patient found' : `${items.length} patients found`;
    }

    // data-typeahead-pick="<hidden input id>": choosing a patient fills that field (a picker in a form) instead of opening the chart.
    const pick = input.dataset.typeaheadPick ? document.getElementById(input.dataset.typeaheadPick) : null;

    function open(index) {
        const item = items[index];
        if (!item) return;
        if (pick) {
            pick.value = item.id;
            input.value = `${item.name} · ${formatDate(item.birthDate)} · ${item.mrn}`;
            close();
            if (status) status.textContent = `${item.name} chosen`;
            pick.dispatchEvent(new Event('change', { bubbles: true }));
            return;
        }
        window.location.assign(`/patients/${encodeURIComponent(item.id)}`);
    }

    async function lookup(q) {
        controller?.abort();
        controller = new AbortController();
        try {
            const response = await fetch(`${endpoint}?q=${encodeURIComponent(q)}`, {
                credentials: 'same-origin',
                headers: { Accept: 'application/json' },
                signal: controller.signal,
            });
            if (response.status === 401) { window.location.assign('/login?returnUrl=%2Fpatients'); return; }
            if (!response.ok) { close(); return; } // e.g. 400 for text that is neither a name nor a date: the Search button still works
            const result = await response.json();
            if (input.value.trim() === q) render(result);
        } catch (e) {
            if (e.name !== 'AbortError') close();
        }
    }

    input.addEventListener('input', () => {
        clearTimeout(timer);
        if (pick) pick.value = ''; // typing again un-chooses the patient
        const q = input.value.trim();
        if (q.length < MIN_CHARS) { controller?.abort(); close(); return; }
        timer = setTimeout(() => lookup(q), DEBOUNCE_MS);
    });

    input.addEventListener('keydown', e => {
        const expanded = !listbox.hidden && items.length > 0;
        switch (e.key) {
            case 'ArrowDown':
                if (expanded) { e.preventDefault(); highlight(active + 1 >= items.length ? 0 : active + 1); }
                else if (input.value.trim().length >= MIN_CHARS) { e.preventDefault(); lookup(input.value.trim()); }
                break;
            case 'ArrowUp':
                if (expanded) { e.preventDefault(); highlight(active <= 0 ? items.length - 1 : active - 1); }
                break;
            case 'Enter':
                // With an option highlighted, Enter opens that chart; otherwise the form submits (full results page).
                if (expanded && active >= 0) { e.preventDefault(); open(active); }
                break;
            case 'Escape':
                if (!listbox.hidden) { e.preventDefault(); close(); }
                else if (input.value) { input.value = ''; }
                break;
            case 'Tab':
                close();
                break;
        }
    });

    input.addEventListener('blur', () => setTimeout(close, 100));
}
