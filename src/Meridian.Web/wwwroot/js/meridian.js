// Meridian page scripts: progressive enhancement only; every page works without them.
// Each enhancement loads only on pages that ask for it (data attributes), as a separate ES module.
const typeahead = document.querySelector('input[data-typeahead]');
if (typeahead) {
    import('./typeahead.js').then(m => m.attachTypeahead(typeahead));
}

// The schedule screens: drag to reschedule on the calendar, the live flow board, the print button.
if (document.querySelector('[data-schedule-filters], #schedule-grid, [data-flow-board], [data-print], [data-booking-form]')) {
    import('./schedule.js').then(m => m.attachSchedule(document));
}

// A button with data-confirm asks before its form is submitted (deactivating a user, ending sessions). Without script the
// action simply happens; the server never relies on this.
document.addEventListener('click', event => {
    const button = event.target instanceof Element ? event.target.closest('button[data-confirm]') : null;
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
