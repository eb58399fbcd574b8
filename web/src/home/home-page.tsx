/** Home: placeholder until the home page lands (issue 21). */
export function HomePage() {
  return <main>Home</main>;
}
