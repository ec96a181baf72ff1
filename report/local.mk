# arpg-report: learning curves, confusion matrices, ablation charts, contact sheets (issue 9).
