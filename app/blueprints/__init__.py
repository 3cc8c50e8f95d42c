"""Thin views: parse input, call one service or query, render or return JSON."""
