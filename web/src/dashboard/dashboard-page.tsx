/** A dashboard, live: placeholder until the dashboard page lands (issue 21). */
export function DashboardPage() {
  return <main>Dashboard</main>;
}
