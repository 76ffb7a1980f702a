"""Capability `suspension`: suspension of a mobile line after loss or theft, and its reactivation.

`service` answers the API (start a workflow, tell where it stands); `tasks` are the steps the Step
Functions workflows run (infra/workflows/suspension.py defines them); `models` is what both share.
"""
