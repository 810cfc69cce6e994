"""Pages of the Streamlit app (``app.py``): one module per page, helpers in ``_shared``."""
