"""Analysts' web page (Streamlit): reads the store and the published rankings, never trains or scores."""
