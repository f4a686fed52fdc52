"""One module per dashboard page (run by st.navigation, not imported)."""
