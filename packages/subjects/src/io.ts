/**
 * What subject resolution touches outside itself. The CLI's `Io` and the
 * actions' and tasks' contexts all fit: front ends pass what they have.
 */
export interface SubjectsIo {
  /** Relative paths, globs and checksum files resolve here. */
  cwd: string;
  /** Registry credentials for `oci://` subjects (REGISTRY_AUTH_FILE, DOCKER_CONFIG, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** Warnings (files left out of a walk, ambiguous archives), one line each with a trailing newline. */
  stderr: (text: string) => void;
}
