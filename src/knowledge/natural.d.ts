// Types for natural's stopword lists, imported by submodule (never the package root).
declare module 'natural/lib/natural/util/stopwords*' {
  export const words: string[];
}

// natural's tf-idf, for the benchmark's peer (bench/knowledge.ts).
declare module 'natural/lib/natural/tfidf/tfidf' {
  class TfIdf {
    addDocument(text: string): void;
    tfidfs(query: string, callback: (index: number, measure: number) => void): void;
  }
  export = TfIdf;
}
