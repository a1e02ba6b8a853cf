// Types for the `natural` submodules we import. We never import the package root: it reads
// `.env`, logs, and loads database drivers (see DEVELOPERS.md).

declare module 'natural/lib/natural/stemmers/*' {
  const stemmer: { stem(token: string): string };
  export = stemmer;
}

declare module 'natural/lib/natural/distance/jaro-winkler_distance' {
  function jaroWinklerDistance(
    s1: string,
    s2: string,
    options?: { ignoreCase?: boolean; dj?: number },
  ): number;
  export = jaroWinklerDistance;
}

declare module 'natural/lib/natural/distance/levenshtein_distance' {
  export function DamerauLevenshteinDistance(
    source: string,
    target: string,
    options?: {
      restricted?: boolean;
      insertion_cost?: number;
      deletion_cost?: number;
      substitution_cost?: number;
      transposition_cost?: number;
    },
  ): number;
}

declare module 'natural/lib/natural/sentiment/SentimentAnalyzer' {
  class SentimentAnalyzer {
    constructor(language: string, stemmer: { stem(token: string): string } | null, type: string);
    vocabulary: Record<string, number>;
    negations: string[];
    getSentiment(words: string[]): number;
  }
  export = SentimentAnalyzer;
}
