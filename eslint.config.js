// ESLint for the browser scripts in assets/ (plain scripts Dash serves as they are) and their node tests.
const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  {ignores: ["node_modules/", ".venv/", "var/", "screenshots/", "assets/geo/"]},
  js.configs.recommended,
  {
    files: ["assets/**/*.js"],
    languageOptions: {
      ecmaVersion: 2020,
      sourceType: "script",
      // Leaflet, React and dash-renderer are page globals; `module` is checked for by the UMD helpers.
      globals: {...globals.browser, L: "readonly", React: "readonly", module: "readonly"}
    },
    rules: {"no-unused-vars": ["error", {args: "none", caughtErrors: "none"}]}
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: {ecmaVersion: 2022, sourceType: "commonjs", globals: {...globals.node}}
  }
];
