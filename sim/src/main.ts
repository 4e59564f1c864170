process.stdout.write('no scenarios yet\n');
