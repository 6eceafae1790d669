import { isProvenantError, type ProvenantError } from "@provenant/core";

/** The coded error a promise rejects with; anything else (or success) fails the test. */
export async function provenantFailure(promise: Promise<unknown>): Promise<ProvenantError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProvenantError(error)) throw new Error(`expected a ProvenantError, got ${String(error)}`);
  return error;
}
