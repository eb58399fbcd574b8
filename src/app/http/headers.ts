/** Request headers, lower-cased names; repeated headers joined with ", ". */
export type RequestHeaders = Readonly<Record<string, string | undefined>>;
