"""Tests of the legal case: deadlines, submissions, outcomes, appeals, respondents, the outcome table."""
