"""The audit of the reference document: its text as a data file, a check per displayed formula,
table row, claim and line of code, the experiments behind the empirical claims, the errata."""
