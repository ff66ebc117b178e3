export default function section() {}
