"""Azure Monitor platform metrics (`/{resourceUri}/providers/Microsoft.Insights/metrics`), as a test sets them."""
