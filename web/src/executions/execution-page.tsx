/** An execution: placeholder until the execution page lands (issue 21). */
export function ExecutionPage() {
  return <main>Execution</main>;
}
