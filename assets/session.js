/* When a session ends while a page is open, Dash's requests get 401: go to sign-in instead of freezing silently. */
(function () {
  if (!window.fetch || window.__iocSessionWatch) { return; }
  window.__iocSessionWatch = true;
  var originalFetch = window.fetch.bind(window);
  window.fetch = function (input, init) {
    return originalFetch(input, init).then(function (response) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      if (response.status === 401 && url.indexOf("/_dash-") !== -1) {
        var here = window.location.pathname + window.location.search;
        window.location.assign("/login?expired=1&next=" + encodeURIComponent(here));
      }
      return response;
    });
  };
})();
