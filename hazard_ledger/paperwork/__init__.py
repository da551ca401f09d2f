"""The ledger on paper: the 隐患排查治理台账 in Excel and CSV, imports of existing
ledgers, and the statutory statistics (原安监总局令第16号)."""
