// CSS imported by the bundles: the widget gets its stylesheet as text (to put
// inside its shadow root); the agent view imports its stylesheet for its side
// effect (esbuild writes it to dist/agent.css).
declare module "*.css" {
  const css: string;
  export default css;
}
