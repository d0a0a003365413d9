"""Student-facing pages, one module per area: content, synthesis, essays, notebooks, accounts."""
