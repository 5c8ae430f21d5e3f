"""History queries behind the drill-down pages (traffic, fire, cameras, complaints), scoped by the Viewer in SQL."""
