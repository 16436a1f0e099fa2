"""Results as people and machines read them: the terminal table and JSON (results.py), HTML and Markdown
reports (context.py -> render.py, templates/), JUnit (junit.py), merging runs (merge.py)."""
