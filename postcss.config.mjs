// Tailwind 4 runs as a PostCSS plugin; it finds the classes in app/ by itself.
export default {
  plugins: { '@tailwindcss/postcss': {} },
};
