/** pg's own parameter serialisation (its package exports lib/*; @types/pg does not describe it). */
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown }
  export default utils
}
