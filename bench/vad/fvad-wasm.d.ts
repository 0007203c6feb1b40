/** @echogarden/fvad-wasm ships no types: an Emscripten module factory (libfvad, WebRTC VAD). */
declare module '@echogarden/fvad-wasm' {
  const createModule: () => Promise<unknown>
  export default createModule
}
