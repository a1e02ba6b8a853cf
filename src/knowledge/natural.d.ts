// Types for natural's stopword lists, imported by submodule (never the package root).
declare module 'natural/lib/natural/util/stopwords*' {
  export const words: string[];
}
