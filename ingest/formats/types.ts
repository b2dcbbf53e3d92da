/** Where a payload came from: the transport tells the format what the payload itself may omit. */
export interface DecodeContext {
  /** Domain from the topic (`city/<domain>[/<id>]`) or the `?domain=` query. */
  domain?: string;
  /** Entity id from the topic `city/<domain>/<id>`. */
  id?: string;
  /** Timestamp precision for line protocol (InfluxDB's units, m = minutes, h = hours); guessed from the magnitude when absent. */
  precision?: 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';
}

/** One item a payload held, not yet validated: `value` is shaped like ObservationInput if the sender got it right. */
export interface DecodedItem {
  index: number;
  value: unknown;
}

export interface DecodeError {
  /** Position of the bad item in the payload (line, array element); 0 when the whole payload is bad. */
  index: number;
  error: string;
}

/** What a decoder found; both arrays are fresh, so the caller may extend them. */
export interface DecodeResult {
  items: DecodedItem[];
  errors: DecodeError[];
}

export type PayloadFormat = 'json' | 'senml' | 'line';
