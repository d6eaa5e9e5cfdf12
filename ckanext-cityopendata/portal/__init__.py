"""The portal as its users meet it: home and dataset pages, quality scores, dashboard, developer corner."""
