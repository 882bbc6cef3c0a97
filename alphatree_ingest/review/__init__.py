"""Review: the human gate (the decision, the form, the local web app, review runs on a Prefect server)."""
