"""The reviewer dashboard (Streamlit): ``audit dashboard`` or ``streamlit run dashboard/app.py``."""
