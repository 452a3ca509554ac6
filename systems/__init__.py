"""Ready-made Kwant builders for the papers' models, in physical units."""
