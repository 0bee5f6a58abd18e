// The shapes of a text codec: an encoding's name, its stream decoder and its encoder.

/** A canonical WHATWG encoding name (`utf-8`, `utf-16le`, `windows-1252`, …). */
export type EncodingName = string;

export interface StreamDecoder {
  /** Text for the bytes so far; a character cut at the end waits for the next call. */
  write(buf: Buffer): string;
  end(): string;
  /** Whether any byte so far failed to decode. */
  readonly invalid: boolean;
}

export interface TextCodec {
  name: EncodingName;
  decoder(): StreamDecoder;
  /** Text → bytes; a lone surrogate from {@link StreamDecoder} becomes its byte again. */
  encode(text: string): Buffer;
  /** Whether a value holds bytes that did not decode (a lone surrogate, or U+FFFD where it means that). */
  undecodable(value: string): boolean;
  /** The byte order mark of this encoding. */
  bom: Buffer;
}
