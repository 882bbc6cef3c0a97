"""Run: one run of the job: the stages the flows call, its record, faults, processes, the demo."""
