"""Investigations: investigators named per case, allegations, the plan, interviews, evidence, findings."""
