// The side panel (placeholder until the extension issue builds it).
document.body.textContent = 'Ensemble';
