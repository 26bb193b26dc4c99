// Meridian page scripts: progressive enhancement only; every page works without them.

// A button with data-confirm asks before its form is submitted (deactivating a user, ending sessions). Without script the
// action simply happens; the server never relies on this.
document.addEventListener('click', event => {
    const button = event.target instanceof Element ? event.target.closest('button[data-confirm]') : null;
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
