// Meridian page scripts: progressive enhancement only; every page works without them.
// Each enhancement loads only on pages that ask for it (data attributes), as a separate ES module.
const typeahead = document.querySelector('input[data-typeahead]');
if (typeahead) {
    import('./typeahead.js').then(m => m.attachTypeahead(typeahead));
}
