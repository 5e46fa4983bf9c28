/** The program could not be started (not found, not an executable, KVM unusable, an invalid option). */
export class SandboxError extends Error {
  /** The status a shell would report (127 not found, 126 not executable, 125 tsv itself). */
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'SandboxError';
    this.status = status;
  }
}
