"""Words and pictures: tables, findings, the writeup, plots, widgets, the HTML
page and the report. Everything here reads evaluated records and study
results; nothing here evaluates the model itself."""
