// Tests build their workloads with the same helper as the examples.
export { microservice as deployApp } from '../../examples/lib/microservice';
