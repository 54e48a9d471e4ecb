// A vCenter simulator for the collector's tests, built from Debian's
// golang-github-vmware-govmomi-dev (the simulator package behind vcsim):
//
//	vcsim serve -listen 127.0.0.1:0 -user u -password p
//	    prints the /sdk URL on stdout, serves until killed
//	vcsim migrate -url URL -vm NAME -host NAME
//	    moves a VM to another host (vMotion), as DRS would
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	user := fs.String("user", "mimamori", "user name")
	password := fs.String("password", "secret", "password")
	fs.Parse(args)

	model := simulator.VPX()
	model.Host = 2    // standalone hosts: DC0_H0, DC0_H1
	model.Cluster = 0 // no DRS cluster: the test moves VMs itself
	model.Machine = 2 // per host: DC0_H0_VM0, DC0_H0_VM1, ...
	defer model.Remove()
	if err := model.Create(); err != nil {
		return err
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	server := model.Service.NewServer()
	defer server.Close()
	fmt.Println(server.URL.String())
	os.Stdout.Sync()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	return nil
}

func migrate(args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ExitOnError)
	rawURL := fs.String("url", "", "the simulator's /sdk URL with user and password")
	vmName := fs.String("vm", "", "the VM to move")
	hostName := fs.String("host", "", "the host to move it to")
	fs.Parse(args)

	ctx := context.Background()
	u, err := url.Parse(*rawURL)
	if err != nil {
		return err
	}
	client, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		return err
	}
	defer client.Logout(ctx)
	finder := find.NewFinder(client.Client, true)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		return err
	}
	finder.SetDatacenter(dc)
	vm, err := finder.VirtualMachine(ctx, *vmName)
	if err != nil {
		return err
	}
	host, err := finder.HostSystem(ctx, *hostName)
	if err != nil {
		return err
	}
	pool, err := host.ResourcePool(ctx)
	if err != nil {
		return err
	}
	// A relocation to another host with the same storage is what vMotion
	// does (the simulator implements RelocateVM_Task, not MigrateVM_Task).
	hostRef := host.Reference()
	poolRef := pool.Reference()
	spec := types.VirtualMachineRelocateSpec{Host: &hostRef, Pool: &poolRef}
	task, err := vm.Relocate(ctx, spec, types.VirtualMachineMovePriorityDefaultPriority)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vcsim serve|migrate ...")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "migrate":
		err = migrate(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vcsim:", err)
		os.Exit(1)
	}
}
