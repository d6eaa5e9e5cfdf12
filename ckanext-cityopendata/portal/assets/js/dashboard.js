/* Draws the dashboard's charts with Chart.js from the figures the page embeds as JSON. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("cod-dashboard-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var primary = getComputedStyle(document.documentElement).getPropertyValue("--cod-primary").trim() || "#0b5394";
    var accent = getComputedStyle(document.documentElement).getPropertyValue("--cod-accent").trim() || "#b45f06";
    var drawn = 0;
    var shares = document.getElementById("cod-chart-shares");
    if (shares) {
      new Chart(shares, {
        type: "bar",
        data: { labels: data.shares.labels,
                datasets: [{ label: data.shares.title, data: data.shares.values, backgroundColor: primary }] },
        options: { indexAxis: "y", animation: false, responsive: true, maintainAspectRatio: false,
                   scales: { x: { min: 0, max: 100 } } }
      });
      drawn += 1;
    }
    var agencies = document.getElementById("cod-chart-agencies");
    if (agencies) {
      new Chart(agencies, {
        type: "bar",
        data: { labels: data.agencies.labels,
                datasets: data.agencies.series.map(function (s, i) {
                  return { label: s.label, data: s.values, backgroundColor: [primary, "#1e7b34", accent, "#6c757d"][i % 4] };
                }) },
        options: { animation: false, responsive: true, maintainAspectRatio: false }
      });
      drawn += 1;
    }
    document.documentElement.setAttribute("data-cod-charts", String(drawn));
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
