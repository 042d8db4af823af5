// Starts Swagger UI from local files (CSP forbids inline scripts).
window.addEventListener("load", () => {
  const node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({ url: node.dataset.specUrl, dom_id: "#swagger-ui", deepLinking: true });
});
