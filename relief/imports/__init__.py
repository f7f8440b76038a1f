"""Roster imports: villages, cadres, households, pairings and incomes from .xlsx or .csv."""
