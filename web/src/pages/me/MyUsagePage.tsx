export default function MyUsagePage(_: { id?: string }) { return <section className="page"><h1>MyUsagePage</h1></section>; }
