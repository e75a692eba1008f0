import { App } from 'cdk8s';
import { EbpfLab } from './chart';

const app = new App();
new EbpfLab(app, 'ebpf-lab');
app.synth();
