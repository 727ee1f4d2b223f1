"""Colours shared by the maps and charts: one per proposed group (cycling), existing groups, the rest."""

PALETTE = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#469990",
           "#9a6324", "#800000", "#808000", "#000075", "#fabed4", "#ffd8b1", "#aaffc3", "#dcbeff", "#a9a9a9"]
EXISTING = "#c8d3e0"
OTHER = "#f4f4f4"
