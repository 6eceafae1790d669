import type { Io } from "../io.js";

/** ANSI colour on stdout only when it is a terminal, and never under NO_COLOR (no-color.org). */
export function styler(io: Io) {
  const enabled = io.stdoutIsTTY === true && (io.env.NO_COLOR === undefined || io.env.NO_COLOR === "") && io.env.TERM !== "dumb";
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}
